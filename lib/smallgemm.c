/*
 * smallgemm.c: register-tiled small products for causal attention (see
 * smallgemm.h).
 */
#include "smallgemm.h"

#include "util.h"

#define MR 6  /* rows of C per register tile */
#define NR 16 /* columns of C per register tile (two 8-float vectors) */

/* The k range and column count one row tile [i0, i0 + mr) needs. */
static void tile_bounds(enum llm_tri tri, int off, int i0, int mr, int n, int k, int *nt,
			int *kb, int *ke)
{
	*nt = n;
	*kb = 0;
	*ke = k;
	if (tri == LLM_TRI_COLS)
		*nt = LLM_MAX(0, LLM_MIN(n, off + i0 + mr));
	else if (tri == LLM_TRI_KEND)
		*ke = LLM_MAX(0, LLM_MIN(k, off + i0 + mr));
	else if (tri == LLM_TRI_KBEGIN)
		*kb = LLM_MIN(k, LLM_MAX(0, i0 - off));
}

void llm_smallgemm_ref(int m, int n, int k, const float *A, long rsa, long csa, const float *B,
		       long ldb, float *C, long ldc, bool accumulate, enum llm_tri tri, int off)
{
	for (int i0 = 0; i0 < m; i0 += MR) {
		int mr = LLM_MIN(MR, m - i0), nt, kb, ke;
		tile_bounds(tri, off, i0, mr, n, k, &nt, &kb, &ke);
		for (int i = i0; i < i0 + mr; i++)
			for (int j = 0; j < nt; j++) {
				float s = 0;
				for (int p = kb; p < ke; p++)
					s += A[i * rsa + p * csa] * B[p * ldb + j];
				C[i * ldc + j] = accumulate ? C[i * ldc + j] + s : s;
			}
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE_AVX2 __attribute__((target("avx2,fma"), always_inline)) static inline

/* One mr x nr tile of C (nr <= 16; full when nr == 16) over p in [kb, ke). */
INLINE_AVX2 void tile(const int mr, const bool full, int nr, int kb, int ke, const float *A,
		      long rsa, long csa, const float *B, long ldb, float *C, long ldc, bool acc)
{
	__m256 c0[MR], c1[MR];
#pragma GCC unroll 6
	for (int r = 0; r < mr; r++)
		c0[r] = c1[r] = _mm256_setzero_ps();
	__m256i m0 = _mm256_setzero_si256(), m1 = m0;
	if (!full) {
		__m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
		m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), lane);
		m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8), lane);
	}
	const float *a = A + kb * csa, *b = B + kb * ldb;
	for (int p = kb; p < ke; p++, a += csa, b += ldb) {
		__m256 b0 = full ? _mm256_loadu_ps(b) : _mm256_maskload_ps(b, m0);
		__m256 b1 = full ? _mm256_loadu_ps(b + 8) : _mm256_maskload_ps(b + 8, m1);
#pragma GCC unroll 6
		for (int r = 0; r < mr; r++) {
			__m256 av = _mm256_broadcast_ss(a + r * rsa);
			c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
			c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
		}
	}
#pragma GCC unroll 6
	for (int r = 0; r < mr; r++) {
		float *cr = C + r * ldc;
		if (full) {
			if (acc) {
				c0[r] = _mm256_add_ps(_mm256_loadu_ps(cr), c0[r]);
				c1[r] = _mm256_add_ps(_mm256_loadu_ps(cr + 8), c1[r]);
			}
			_mm256_storeu_ps(cr, c0[r]);
			_mm256_storeu_ps(cr + 8, c1[r]);
		} else {
			if (acc) {
				c0[r] = _mm256_add_ps(_mm256_maskload_ps(cr, m0), c0[r]);
				c1[r] = _mm256_add_ps(_mm256_maskload_ps(cr + 8, m1), c1[r]);
			}
			_mm256_maskstore_ps(cr, m0, c0[r]);
			_mm256_maskstore_ps(cr + 8, m1, c1[r]);
		}
	}
}

#define TILE_CASES(full)                                                                   \
	switch (mr) {                                                                      \
	case 6: tile(6, full, nr, kb, ke, A, rsa, csa, B, ldb, C, ldc, acc); break;        \
	case 5: tile(5, full, nr, kb, ke, A, rsa, csa, B, ldb, C, ldc, acc); break;        \
	case 4: tile(4, full, nr, kb, ke, A, rsa, csa, B, ldb, C, ldc, acc); break;        \
	case 3: tile(3, full, nr, kb, ke, A, rsa, csa, B, ldb, C, ldc, acc); break;        \
	case 2: tile(2, full, nr, kb, ke, A, rsa, csa, B, ldb, C, ldc, acc); break;        \
	default: tile(1, full, nr, kb, ke, A, rsa, csa, B, ldb, C, ldc, acc); break;       \
	}

AVX2 static void tile_any(int mr, int nr, int kb, int ke, const float *A, long rsa, long csa,
			  const float *B, long ldb, float *C, long ldc, bool acc)
{
	if (nr == NR) {
		TILE_CASES(true)
	} else {
		TILE_CASES(false)
	}
}

AVX2 static void smallgemm_avx2(int m, int n, int k, const float *A, long rsa, long csa,
				const float *B, long ldb, float *C, long ldc, bool accumulate,
				enum llm_tri tri, int off)
{
	/* column panels outside, row tiles inside: B's 16-column panel stays in
	 * L1 while the row tiles stream A past it */
	for (int j0 = 0; j0 < n; j0 += NR) {
		for (int i0 = 0; i0 < m; i0 += MR) {
			int mr = LLM_MIN(MR, m - i0), nt, kb, ke;
			tile_bounds(tri, off, i0, mr, n, k, &nt, &kb, &ke);
			if (j0 >= nt)
				continue;
			tile_any(mr, LLM_MIN(NR, nt - j0), kb, LLM_MAX(kb, ke), A + i0 * rsa, rsa, csa,
				 B + j0, ldb, C + (long)i0 * ldc + j0, ldc, accumulate);
		}
	}
}

/* reads the CPU model libgcc fills in at start-up: no cached flag shared
 * between the attention threads */
static bool have_avx2_fma(void)
{
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

void llm_smallgemm(int m, int n, int k, const float *A, long rsa, long csa, const float *B,
		   long ldb, float *C, long ldc, bool accumulate, enum llm_tri tri, int off)
{
	if (m <= 0 || n <= 0)
		return;
#if defined(__x86_64__) && defined(__GNUC__)
	if (have_avx2_fma()) {
		smallgemm_avx2(m, n, k, A, rsa, csa, B, ldb, C, ldc, accumulate, tri, off);
		return;
	}
#endif
	llm_smallgemm_ref(m, n, k, A, rsa, csa, B, ldb, C, ldc, accumulate, tri, off);
}

#if defined(__x86_64__) && defined(__GNUC__)
/* One 8 x 8 block: dst[j * ldd + i] = src[i * lds + j]. */
AVX2 static void transpose8(float *dst, long ldd, const float *src, long lds)
{
	__m256 r[8], t[8];
	for (int i = 0; i < 8; i++)
		r[i] = _mm256_loadu_ps(src + i * lds);
	for (int i = 0; i < 8; i += 2) {
		t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
		t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
	}
	for (int i = 0; i < 8; i += 4) {
		r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
		r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
		r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
		r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
	}
	for (int i = 0; i < 4; i++) {
		_mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
		_mm256_storeu_ps(dst + (i + 4) * ldd, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
	}
}
#endif

void llm_transpose(float *dst, long ldd, const float *src, long lds, int rows, int cols)
{
	int i8 = 0, j8 = 0;
#if defined(__x86_64__) && defined(__GNUC__)
	if (have_avx2_fma()) {
		i8 = rows / 8 * 8;
		j8 = cols / 8 * 8;
		for (int i = 0; i < i8; i += 8)
			for (int j = 0; j < j8; j += 8)
				transpose8(dst + j * ldd + i, ldd, src + i * lds + j, lds);
	}
#endif
	/* what the 8 x 8 blocks left: the right columns, then the bottom rows */
	for (int i = 0; i < i8; i++)
		for (int j = j8; j < cols; j++)
			dst[j * ldd + i] = src[i * lds + j];
	for (int i = i8; i < rows; i++)
		for (int j = 0; j < cols; j++)
			dst[j * ldd + i] = src[i * lds + j];
}
