#!/bin/sh
# test.sh - install what is needed, build, run every test; then the same
# suite again built with AddressSanitizer and UndefinedBehaviorSanitizer.
#   STRIDE_NO_SANITIZE=1  skip the sanitizer pass (quicker, for development)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/deploy/install-deps.sh"

jobs=$(nproc)
echo "== build (RelWithDebInfo)"
"$top/deploy/build.sh" "$top/build"
echo "== tests"
ctest --test-dir "$top/build" --output-on-failure -j "$jobs"

if [ "${STRIDE_NO_SANITIZE:-0}" != 1 ]; then
	echo "== build (ASan+UBSan)"
	"$top/deploy/build.sh" "$top/build-asan" -DSTRIDE_SANITIZE=ON \
	    -DCMAKE_BUILD_TYPE=Debug
	echo "== tests under ASan+UBSan"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --test-dir "$top/build-asan" --output-on-failure -j "$jobs"
fi
