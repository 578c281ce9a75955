"""Schemathesis hooks for test/schemathesis.test.ts.

The processor fetches from whatever `source` a request names. Generated sources name random hosts, and a test
reaches only what it started itself, so every generated source is pointed at the local profile source the suite
starts (GO_PROFILER_SOURCE, e.g. http://127.0.0.1:41234) before the request is sent: only the
host and port change; the scheme, its spelling, the whitespace, user info, path and query stay as generated, so
parsing and validation still see them. The service itself is also started with FETCH_ALLOW_CIDRS=127.0.0.1/32.
"""

import os
import re

import schemathesis

SOURCE_KEY = "param.diagnoser.runtime.go_profiler.source"
# A diff's base is fetched as source is: the same local source.
SOURCE_KEYS = (SOURCE_KEY, "param.diagnoser.runtime.go_profiler.diff_base.source")
# What JavaScript's \s matches (the service's schema is checked by ajv, in JavaScript), not Python's \s.
JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# The schema's own pattern for source, ^\s*[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+ : the authority is what follows ://.
AUTHORITY = re.compile(rf"^([{JS_SPACE}]*[Hh][Tt][Tt][Pp][Ss]?://)([^{JS_SPACE}/?#@\\]*@)?[^{JS_SPACE}/?#]*")


def local_source(value: str, host: str) -> str:
    return AUTHORITY.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}{host}", value, count=1)


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path != "/processor/goProfiler" or not isinstance(case.body, dict):
        return
    host = os.environ["GO_PROFILER_SOURCE"].split("://", 1)[1]
    for key in SOURCE_KEYS:
        value = case.body.get(key)
        if isinstance(value, str):
            case.body[key] = local_source(value, host)


@schemathesis.check
def names_its_reason(ctx, response, case):
    """A 5xx the spec promises says why (the source's status, a Secret missing, ...): "internal error" is the answer
    to an exception the service did not expect, which is a bug even where the status is documented."""
    if response.status_code < 500:
        return None
    try:
        error = response.json().get("error")
    except Exception:
        error = None
    assert error and error != "internal error", f"{response.status_code} without a reason: {response.text[:200]}"
    return None
