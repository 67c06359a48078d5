/**
 * @file crashport/common.h
 * @brief Export macros, fixed-width includes and the allocator hooks every handle takes.
 */
#ifndef CRP_COMMON_H
#define CRP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define CRP_BEGIN_DECL extern "C" {
#define CRP_END_DECL }
#else
#define CRP_BEGIN_DECL
#define CRP_END_DECL
#endif

#if defined(CRP_STATIC)
#define CRP_API
#elif defined(_WIN32)
#ifdef CRP_BUILDING
#define CRP_API __declspec(dllexport)
#else
#define CRP_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define CRP_API __attribute__((visibility("default")))
#else
#define CRP_API
#endif

CRP_BEGIN_DECL

/**
 * Allocator hooks, per handle (yajl/zstd shape). Each hook receives @c ctx first.
 * Pass NULL wherever an allocator is accepted to use malloc/realloc/free.
 * The struct is copied; @c ctx must outlive every handle created with it.
 * Added in 0.1.
 */
typedef struct crp_allocator {
	void *(*malloc)(void *ctx, size_t size);
	void *(*realloc)(void *ctx, void *ptr, size_t size);
	void (*free)(void *ctx, void *ptr);
	void *ctx;
} crp_allocator;

CRP_END_DECL

#endif
