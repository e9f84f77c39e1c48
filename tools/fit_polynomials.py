"""Fit the polynomial coefficients used by cpp/include/fastinit/fastmath.hpp.

fastinit evaluates log and sin/cos with its own polynomials (not libm) so that
every CPU, instruction set and operating system computes the same bits. This
script documents where the coefficients come from: a weighted least-squares fit
on Chebyshev nodes in extended precision, then rounded to the target type.
Run it to regenerate or check the tables; it prints C++ initializers and the
maximum error measured against numpy's long double reference.
"""
import numpy as np

LD = np.longdouble


def cheb_nodes(lo, hi, n):
    k = np.arange(n, dtype=LD)
    x = np.cos((2 * k + 1) * LD(np.pi) / (2 * n))
    return (lo + hi) / 2 + (hi - lo) / 2 * x


def fit_even_odd(f, powers, x, weight):
    """Weighted least squares for f(x) ~ sum c_k x^powers[k]."""
    A = np.stack([x ** p for p in powers], axis=1)
    y = f(x)
    w = weight(x)
    coef, *_ = np.linalg.lstsq((A * w[:, None]).astype(np.float64),
                               (y * w).astype(np.float64), rcond=None)
    # one refinement step in long double
    r = y - A @ coef.astype(LD)
    d, *_ = np.linalg.lstsq((A * w[:, None]).astype(np.float64),
                            (r * w).astype(np.float64), rcond=None)
    return coef.astype(LD) + d.astype(LD)


def main():
    half_pi = LD(np.pi) / 2
    # Even node count: no node near 0, where the targets below cancel.
    x = cheb_nodes(LD(-0.5), LD(0.5), 400)
    # sin(pi/2 r) = r * P(r^2), cos(pi/2 r) = 1 + r^2 * Q(r^2) on |r| <= 1/2
    for name, dt, ns, nc in (("float", np.float32, 4, 4), ("double", np.float64, 7, 7)):
        # sin: relative error; cos - 1 = -2 sin^2(x/2) = r^2 Q: absolute error ~ r^2 dQ.
        ps = fit_even_odd(lambda r: np.sin(half_pi * r) / r, [2 * k for k in range(ns)], x,
                          lambda r: np.ones_like(r))
        pc = fit_even_odd(lambda r: -2 * np.sin(half_pi * r / 2) ** 2 / (r * r),
                          [2 * k for k in range(nc)], x, lambda r: r * r)
        ps = ps.astype(dt)
        pc = pc.astype(dt)
        xs = x.astype(dt)
        r2 = xs * xs
        s = np.zeros_like(xs)
        for c in ps[::-1]:
            s = s * r2 + c
        s = s * xs
        q = np.zeros_like(xs)
        for c in pc[::-1]:
            q = q * r2 + c
        cc = dt(1) + r2 * q
        eps = np.finfo(dt).eps
        sin_ref = np.sin(half_pi * xs.astype(LD))
        es = np.max(np.abs((s.astype(LD) - sin_ref) / np.abs(sin_ref))) / eps
        ec = np.max(np.abs(cc.astype(LD) - np.cos(half_pi * xs.astype(LD)))) / eps
        print(f"// {name}: sin rel err {es:.2f} eps, cos abs err {ec:.2f} eps")
        print(f"sin_{name} = {{{', '.join(repr(float(c)) for c in ps)}}}")
        print(f"cos_{name} = {{{', '.join(repr(float(c)) for c in pc)}}}")

    # log(m) = 2 atanh(s) = s * (2 + s^2 * P(s^2)), s = (m-1)/(m+1), m in [sqrt(1/2), sqrt(2))
    smax = (np.sqrt(LD(2)) - 1) / (np.sqrt(LD(2)) + 1)
    sx = cheb_nodes(-smax, smax, 400)
    for name, dt, n in (("float", np.float32, 3), ("double", np.float64, 7)):
        # log error relative to log(m) ~ 2s is s^2 dP / 2.
        p = fit_even_odd(lambda s: (2 * np.arctanh(s) / s - 2) / (s * s), [2 * k for k in range(n)], sx,
                         lambda s: s * s)
        p = p.astype(dt)
        print(f"log_{name} = {{{', '.join(repr(float(c)) for c in p)}}}")


if __name__ == "__main__":
    main()
