"""Reference values for Armory's statistics tests, computed with SciPy (independently of the
Swift code). Run: python3 make-statistics-references.py > statistics-references.json"""
import json

import numpy as np
from scipy import integrate, special, stats

references = {}

references["incomplete_beta"] = [
    {"x": x, "a": a, "b": b, "value": float(special.betainc(a, b, x))}
    for (x, a, b) in [
        (0.5, 1, 1), (0.3, 2, 5), (0.05, 50, 950), (0.06, 50, 950), (0.04, 41, 961), (0.999, 0.5, 0.5),
        (1e-6, 0.5, 100), (0.2, 3.5, 1.2), (0.7, 1000, 400), (0.01, 1, 1000), (0.9, 12, 2),
    ]
]
references["beta_quantile"] = [
    {"p": p, "a": a, "b": b, "value": float(stats.beta.ppf(p, a, b))}
    for (p, a, b) in [
        (0.025, 41, 961), (0.975, 41, 961), (0.025, 1, 1), (0.5, 2, 3), (0.975, 0.5, 0.5), (0.025, 0.5, 200),
        (1e-10, 50, 950), (1 - 1e-10, 50, 950), (0.3, 5000, 95000), (0.99, 1, 1000),
    ]
]
references["upper_incomplete_gamma"] = [
    {"s": s, "x": x, "value": float(special.gammaincc(s, x))}
    for (s, x) in [(0.5, 0.1), (0.5, 3.0), (1, 1), (1.5, 10), (4.5, 2.0), (10, 25), (49.5, 40), (2, 0.001)]
]
references["normal_quantile"] = [
    {"p": p, "value": float(stats.norm.ppf(p))} for p in [1e-12, 0.001, 0.025, 0.3, 0.5, 0.975, 0.999999]
]
srm_cases = [
    ([5000, 5000], [0.5, 0.5]), ([5100, 4900], [0.5, 0.5]), ([5200, 4800], [0.5, 0.5]),
    ([1000, 2000, 3000], [0.2, 0.3, 0.5]), ([980, 1010, 1030, 990], [0.25, 0.25, 0.25, 0.25]),
    ([120, 880], [0.1, 0.9]),
]
references["srm"] = []
for observed, weights in srm_cases:
    expected = np.array(weights) * sum(observed)
    statistic, p_value = stats.chisquare(observed, expected)
    references["srm"].append({"observed": observed, "weights": weights, "chi_square": float(statistic), "p_value": float(p_value)})


def best_arm(dists, support):
    """P(best) by adaptive quadrature of pdf_i * prod_j cdf_j, and E[max] = lo + ∫ (1 - prod F)."""
    lows = [d.ppf(1e-15) for d in dists]
    highs = [d.isf(1e-15) for d in dists]
    lo, hi = max(support[0], min(lows)), min(support[1], max(highs))
    points = sorted({float(d.mean()) for d in dists} | {float(d.mean() + k * d.std()) for d in dists for k in (-3, -1, 1, 3)})
    points = [p for p in points if lo < p < hi]
    probabilities = []
    for i, di in enumerate(dists):
        others = [d for j, d in enumerate(dists) if j != i]
        f = lambda x, di=di, others=others: di.pdf(x) * np.prod([d.cdf(x) for d in others])
        value, _ = integrate.quad(f, lo, hi, points=points, limit=2000, epsabs=1e-14, epsrel=1e-12)
        probabilities.append(float(value))
    tail, _ = integrate.quad(lambda x: 1 - np.prod([d.cdf(x) for d in dists]), lo, hi, points=points, limit=2000,
                             epsabs=1e-14, epsrel=1e-12)
    expected_max = lo + tail
    return probabilities, [float(expected_max - d.mean()) for d in dists]


references["probability_best_beta"] = []
for shapes in [
    [(41, 961), (53, 949), (48, 954)],
    [(1, 1), (3, 9), (2, 2)],
    [(120, 880), (131, 869), (118, 882), (125, 875), (140, 860)],
    [(0.5, 200.5), (1.5, 199.5), (0.5, 150.5)],
    [(1, 1), (5001, 95001)],
    [(11, 91), (101, 901), (1001, 9001), (10001, 90001)],
]:
    p, loss = best_arm([stats.beta(a, b) for a, b in shapes], (0, 1))
    references["probability_best_beta"].append({"shapes": shapes, "probability_best": p, "expected_loss": loss})

references["probability_best_normal"] = []
for params in [[(10.0, 1.0), (10.5, 0.8), (9.0, 2.0)], [(0.0, 1.0), (0.1, 0.01), (-0.2, 0.5), (0.05, 0.3)]]:
    p, loss = best_arm([stats.norm(m, s) for m, s in params], (-np.inf, np.inf))
    references["probability_best_normal"].append({"parameters": params, "probability_best": p, "expected_loss": loss})

print(json.dumps(references, indent=1))
