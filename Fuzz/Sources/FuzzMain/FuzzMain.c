// main() of every fuzz executable. SwiftPM links an executable with `--defsym main=<module>_main`
// (it renames Swift's entry point so tests can link executables), which libFuzzer's own main() does
// not provide; Fuzz/Package.swift points both names at this function instead, and it hands the
// command line to libFuzzer's driver with the target's LLVMFuzzerTestOneInput (a Swift @_cdecl).
// libFuzzer itself comes with `-sanitize=fuzzer` (the toolchain's libclang_rt.fuzzer).
#include <stddef.h>
#include <stdint.h>

#include "FuzzMain.h"

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int lamplighter_fuzz_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
