/* Prototype C: the whole full-batch training loop of a 2-layer network
 * (n0 -> n1 tanh -> n2 sigmoid, binary cross-entropy) in one compiled call.
 *
 * Same equations as backprop's engine (examples as columns, row-major arrays):
 *   Z1 = W1 X + b1, A1 = tanh Z1, Z2 = W2 A1 + b2, A2 = sigma(Z2) = (1 + tanh(Z2/2))/2
 *   dZ2 = (A2 - Y)/m,  dW2 = dZ2 A1^T, db2 = sum_i dZ2
 *   dZ1 = (W2^T dZ2) * (1 - A1^2), dW1 = dZ1 X^T, db1 = sum_i dZ1
 *   theta -= lr * dtheta
 * Built with -O3 -march=native -ffast-math so that gcc vectorises the loops over the m
 * examples and calls glibc's vector tanh (libmvec); the reductions over examples are
 * then reassociated, so results differ from numpy's in the last bits (~1e-13).
 *
 * work: at least (2*n1 + 2*n2) * m + n1*n0 + n2*n1 + n1 + n2 doubles.
 */
#include <math.h>
#include <string.h>

void train_tanh_sigmoid(int n0, int n1, int n2, int m,
                        const double *restrict X, const double *restrict Y,
                        double *restrict W1, double *restrict b1,
                        double *restrict W2, double *restrict b2,
                        double lr, long iterations, double *restrict work)
{
    double *A1 = work;                 /* n1 x m */
    double *dZ1 = A1 + (long)n1 * m;   /* n1 x m */
    double *dZ2 = dZ1 + (long)n1 * m;  /* n2 x m */
    double *tmp = dZ2 + (long)n2 * m;  /* n2 x m (unused scratch) */
    double *dW1 = tmp + (long)n2 * m;  /* n1 x n0 */
    double *dW2 = dW1 + n1 * n0;       /* n2 x n1 */
    double *db1 = dW2 + n2 * n1;       /* n1 */
    double *db2 = db1 + n1;            /* n2 */
    const double c = 1.0 / m;

    for (long it = 0; it < iterations; ++it) {
        /* forward, layer 1 */
        for (int j = 0; j < n1; ++j) {
            double *a = A1 + (long)j * m;
            const double bj = b1[j];
            for (int i = 0; i < m; ++i) a[i] = bj;
            for (int k = 0; k < n0; ++k) {
                const double w = W1[j * n0 + k];
                const double *x = X + (long)k * m;
                for (int i = 0; i < m; ++i) a[i] += w * x[i];
            }
            for (int i = 0; i < m; ++i) a[i] = tanh(a[i]);
        }
        /* forward, layer 2, and the fused output error dZ2 = (sigma(Z2) - Y)/m */
        for (int o = 0; o < n2; ++o) {
            double *z = dZ2 + (long)o * m;
            const double bo = b2[o];
            for (int i = 0; i < m; ++i) z[i] = bo;
            for (int j = 0; j < n1; ++j) {
                const double w = W2[o * n1 + j];
                const double *a = A1 + (long)j * m;
                for (int i = 0; i < m; ++i) z[i] += w * a[i];
            }
            const double *y = Y + (long)o * m;
            for (int i = 0; i < m; ++i) z[i] = c * (0.5 + 0.5 * tanh(0.5 * z[i]) - y[i]);
        }
        /* backward, layer 2: dW2 = dZ2 A1^T, db2 = sum dZ2 */
        for (int o = 0; o < n2; ++o) {
            const double *z = dZ2 + (long)o * m;
            double s = 0.0;
            for (int i = 0; i < m; ++i) s += z[i];
            db2[o] = s;
            for (int j = 0; j < n1; ++j) {
                const double *a = A1 + (long)j * m;
                double d = 0.0;
                for (int i = 0; i < m; ++i) d += z[i] * a[i];
                dW2[o * n1 + j] = d;
            }
        }
        /* backward, layer 1: dZ1 = W2^T dZ2 * (1 - A1^2); dW1 = dZ1 X^T; db1 = sum dZ1 */
        for (int j = 0; j < n1; ++j) {
            double *d = dZ1 + (long)j * m;
            const double *a = A1 + (long)j * m;
            for (int i = 0; i < m; ++i) d[i] = 0.0;
            for (int o = 0; o < n2; ++o) {
                const double w = W2[o * n1 + j];
                const double *z = dZ2 + (long)o * m;
                for (int i = 0; i < m; ++i) d[i] += w * z[i];
            }
            double s = 0.0;
            for (int i = 0; i < m; ++i) {
                d[i] *= 1.0 - a[i] * a[i];
                s += d[i];
            }
            db1[j] = s;
            for (int k = 0; k < n0; ++k) {
                const double *x = X + (long)k * m;
                double g = 0.0;
                for (int i = 0; i < m; ++i) g += d[i] * x[i];
                dW1[j * n0 + k] = g;
            }
        }
        /* update */
        for (int q = 0; q < n1 * n0; ++q) W1[q] -= lr * dW1[q];
        for (int q = 0; q < n2 * n1; ++q) W2[q] -= lr * dW2[q];
        for (int q = 0; q < n1; ++q) b1[q] -= lr * db1[q];
        for (int q = 0; q < n2; ++q) b2[q] -= lr * db2[q];
    }
}
