// libFuzzer's driver entry (compiler-rt FuzzerInterface.h / FuzzerDriver.cpp). Linked in by
// -sanitize=fuzzer; declared here because SwiftPM renames an executable's main, so the fuzzer
// target has to start libFuzzer itself instead of relying on libFuzzer's own main().
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
