#ifndef CAIRN_CLIBGIT2_SHIM_H
#define CAIRN_CLIBGIT2_SHIM_H

#include <git2.h>
#include <git2/sys/repository.h>

/// git_libgit2_opts is variadic, which Swift cannot call; these wrappers fix one signature each.
static inline int cairn_git_opts_set_int(int option, int value) {
    return git_libgit2_opts(option, value);
}

static inline int cairn_git_disable_owner_validation(void) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
}

/// glibc's memmem (a GNU extension the Swift Glibc module does not declare): packed-refs is searched with it.
static inline const void *cairn_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length) {
    extern void *memmem(const void *, size_t, const void *, size_t);
    return memmem(haystack, haystack_length, needle, needle_length);
}

#endif
