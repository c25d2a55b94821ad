#ifndef CAIRN_CLIBGIT2_SHIM_H
#define CAIRN_CLIBGIT2_SHIM_H

#include <git2.h>

/// git_libgit2_opts is variadic, which Swift cannot call; these wrappers fix one signature each.
static inline int cairn_git_opts_set_int(int option, int value) {
    return git_libgit2_opts(option, value);
}

static inline int cairn_git_disable_owner_validation(void) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
}

#endif
