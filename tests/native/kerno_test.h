/* A minimal test harness for libkerno's C tests: each test is a function, CHECK records failures,
 * KERNO_TEST_MAIN runs them and returns non-zero if any failed (CTest reads the exit code). */
#ifndef KERNO_TEST_H
#define KERNO_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include "kerno.h"

static int kt_failures;
static const char* kt_current;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__, kt_current, \
                    #cond);                                                                  \
            ++kt_failures;                                                                   \
        }                                                                                    \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                 \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, kt_current);                  \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fputc('\n', stderr);                                                             \
            ++kt_failures;                                                                   \
        }                                                                                    \
    } while (0)

typedef void (*kt_fn)(void);
typedef struct { const char* name; kt_fn fn; } kt_case;

#define KT_CASE(fn) { #fn, fn }

static inline int kt_run(const kt_case* cases, int count)
{
    for (int i = 0; i < count; ++i) {
        int before = kt_failures;
        kt_current = cases[i].name;
        cases[i].fn();
        printf("%s %s\n", kt_failures == before ? "PASS" : "FAIL", cases[i].name);
    }
    printf("%d of %d cases failed\n", kt_failures ? 1 : 0, count);
    return kt_failures ? 1 : 0;
}

#define KERNO_TEST_MAIN(...)                                                \
    int main(void)                                                          \
    {                                                                       \
        static const kt_case cases[] = { __VA_ARGS__ };                     \
        return kt_run(cases, (int)(sizeof cases / sizeof cases[0]));        \
    }

#endif
