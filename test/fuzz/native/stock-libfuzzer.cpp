// What @jazzer.js/fuzzer's native sources expect from Jazzer's own fork of libFuzzer, provided on top of the
// stock libFuzzer that Debian ships (libclang-rt-16-dev), plus the one export the 4.0.0 JavaScript needs and the
// 2.1.0 sources lack. build-addon.ts compiles this file with those sources, and points two of their lines here.
#include <cstdint>
#include <cstdlib>
#include <fuzzer/FuzzerDefs.h>
#include <napi.h>

#include "shared/libfuzzer.h"

extern "C" {
void __sanitizer_cov_trace_const_cmp8(uint64_t arg1, uint64_t arg2);
void __sanitizer_cov_trace_pc_indir(uintptr_t callee);
void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *end);
void __sanitizer_cov_pcs_init(const uintptr_t *pcs_beg, const uintptr_t *pcs_end);

// Stock libFuzzer hands its death callback (dump the input, print the final stats) to the sanitizer runtime,
// when there is one: this is that runtime, so a JavaScript finding dumps its input as Jazzer's fork would.
void __sanitizer_set_death_callback(void (*callback)()) { libfuzzer::PrintCrashingInput = callback; }

// The fork's variants that take the comparison's id; stock libFuzzer takes the caller's address instead, so
// every JavaScript comparison shares one: the table of recent compares (what guides mutations) still works.
void __sanitizer_cov_trace_const_cmp8_with_pc(uintptr_t, uint64_t arg1, uint64_t arg2) {
  __sanitizer_cov_trace_const_cmp8(arg1, arg2);
}
void __sanitizer_cov_trace_pc_indir_with_pc(void *, uintptr_t callee) { __sanitizer_cov_trace_pc_indir(callee); }
}

namespace {
fuzzer::UserCallback gCallback = nullptr;

// The fork's driver returns when the callback says RETURN_EXIT: a finding, which the JavaScript side has printed
// and whose input the death callback has dumped by then. Stock libFuzzer knows only 0 and -1 and would fuzz on,
// so the process ends here, with the exit code of a finding.
int StopOnFinding(const uint8_t *data, size_t size) {
  int result = gCallback(data, size);
  if (result == libfuzzer::RETURN_EXIT) std::_Exit(libfuzzer::EXIT_ERROR_CODE);
  return result;
}

struct PCTableEntry {
  uintptr_t pc, flags;
};
// Fake program counters for module counters, past the ones coverage.cpp gives the global map (0 .. 2^20).
uintptr_t gNextModulePC = uintptr_t(1) << 24;
} // namespace

// registerModuleCounters(buffer): one ES module's own counters, registered as a region of their own (4.0.0's
// coverage.js calls it for modules its ESM loader instruments). The buffer stays referenced on the JS side.
void RegisterModuleCounters(const Napi::CallbackInfo &info) {
  if (info.Length() != 1 || !info[0].IsBuffer()) throw Napi::Error::New(info.Env(), "Expected a Buffer");
  auto buf = info[0].As<Napi::Buffer<uint8_t>>();
  if (buf.Length() == 0) return;
  auto *pcs = new PCTableEntry[buf.Length()];
  for (size_t i = 0; i < buf.Length(); ++i) pcs[i] = {gNextModulePC++, 0};
  __sanitizer_cov_8bit_counters_init(buf.Data(), buf.Data() + buf.Length());
  __sanitizer_cov_pcs_init(reinterpret_cast<uintptr_t *>(pcs), reinterpret_cast<uintptr_t *>(pcs + buf.Length()));
}

// utils.cpp's call of fuzzer::FuzzerDriver is replaced by this one.
int FuzzerDriverStoppingOnFinding(int *argc, char ***argv, fuzzer::UserCallback callback) {
  gCallback = callback;
  return fuzzer::FuzzerDriver(argc, argv, StopOnFinding);
}

Napi::Object Init(Napi::Env env, Napi::Object exports);

// The module's entry point (addon.cpp's NODE_API_MODULE line is replaced by this one): 2.1.0's exports plus
// registerModuleCounters.
Napi::Object InitWithModuleCounters(Napi::Env env, Napi::Object exports) {
  Init(env, exports);
  exports["registerModuleCounters"] = Napi::Function::New<RegisterModuleCounters>(env);
  return exports;
}

NODE_API_MODULE(jazzerjs, InitWithModuleCounters)
