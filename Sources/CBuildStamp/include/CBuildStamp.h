#ifndef CAIRN_BUILD_STAMP_H
#define CAIRN_BUILD_STAMP_H

/// The commit this binary was built from, as `scripts/stamp-commit.py` wrote it into the binary after linking
/// (40 hex digits, "-dirty" when the tree had uncommitted changes), or "" when the binary was not stamped.
const char *cairn_build_commit(void);

#endif
