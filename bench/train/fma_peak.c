/* bench/train/fma_peak.c: the machine's fp32 FMA peak, the ceiling for any training step.
 *
 * Ten independent AVX2 FMA chains per thread, all in registers (no loads or stores in the loop),
 * enough to cover the FMA latency on both of Zen 3's FMA pipes; the best of five runs.
 *   gcc -O2 -mavx2 -mfma -fopenmp bench/train/fma_peak.c -o /tmp/fma_peak
 *   OMP_NUM_THREADS=2 /tmp/fma_peak
 */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>

#define FMA(x) x = _mm256_fmadd_ps(x, b, c);

int main(void)
{
	const long n = 200000000; /* FMA groups of ten, over all threads */
	double best = 0;
	float sink = 0;
	for (int rep = 0; rep < 5; rep++) {
		double t0 = omp_get_wtime();
#pragma omp parallel reduction(+ : sink)
		{
			__m256 b = _mm256_set1_ps(1.0000001f), c = _mm256_set1_ps(1e-7f);
			__m256 a0, a1, a2, a3, a4, a5, a6, a7, a8, a9;
			a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = a8 = a9 = _mm256_set1_ps(1.0f);
			long m = n / omp_get_num_threads();
			for (long k = 0; k < m; k++) {
				FMA(a0) FMA(a1) FMA(a2) FMA(a3) FMA(a4)
				FMA(a5) FMA(a6) FMA(a7) FMA(a8) FMA(a9)
				/* keeps the chains in registers and the loop from being folded */
				__asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4),
						 "+x"(a5), "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9));
			}
			float t[8];
			__m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
						 _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
			_mm256_storeu_ps(t, _mm256_add_ps(s, _mm256_add_ps(a8, a9)));
			sink += t[0];
		}
		double f = (double)n * 10 * 16 / (omp_get_wtime() - t0); /* 8 lanes x 2 FLOP */
		if (f > best)
			best = f;
	}
	printf("fp32 FMA peak, %d threads: %.1f GFLOP/s (checksum %g)\n", omp_get_max_threads(), best / 1e9,
	       (double)sink);
	return 0;
}
