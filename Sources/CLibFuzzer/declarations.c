/* CLibFuzzer only declares libFuzzer's driver (include/CLibFuzzer.h); a C target needs one source file. */
#include "CLibFuzzer.h"
