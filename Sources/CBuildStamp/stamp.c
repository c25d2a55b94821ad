#include "CBuildStamp.h"

// A marker followed by 48 bytes that scripts/stamp-commit.py overwrites in the linked binary (the commit, then NULs).
// Writable and external, so no compiler folds the placeholder into the code that reads it.
char cairn_build_stamp[] = "cairn-build-commit:------------------------------------------------";

const char *cairn_build_commit(void) {
    const char *value = cairn_build_stamp + sizeof("cairn-build-commit:") - 1;
    return value[0] == '-' ? "" : value;
}
