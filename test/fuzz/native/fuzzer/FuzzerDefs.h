// The two declarations the addon's sources (utils.h) take from compiler-rt's internal
// lib/fuzzer/FuzzerDefs.h, which Debian's libclang-rt-16-dev does not ship: libFuzzer's driver entry point and
// the type of the callback it runs per input. Their definitions are in libclang_rt.fuzzer_no_main.
#pragma once
#include <cstddef>
#include <cstdint>

namespace fuzzer {
typedef int (*UserCallback)(const uint8_t *Data, size_t Size);
int FuzzerDriver(int *argc, char ***argv, UserCallback Callback);
} // namespace fuzzer
