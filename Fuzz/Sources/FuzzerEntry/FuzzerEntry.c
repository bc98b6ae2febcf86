// Entry points for the fuzz executables.
//
// SwiftPM links an executable target with `--defsym main=<Target>_main` (Linux), so libFuzzer's
// own `main` is never used and linking fails when the target, built with `-parse-as-library`,
// has no Swift `main`. These hand control to libFuzzer's driver, which calls
// `LLVMFuzzerTestOneInput` (defined in Swift, `@_cdecl`) for every input.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int FuzzSeedParser_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}

int FuzzRequestHandler_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}

int FuzzHTTP2_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
