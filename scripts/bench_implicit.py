#!/usr/bin/env python3
"""The reference for Armory's ALS trainer: the `implicit` library's AlternatingLeastSquares
(0.7.3) on the same time split of the same SQLite state store, with the same factors,
regularization, iterations, confidences and cut-off, scored with the same metric definitions
(each normalised by min(k, held-out count), as Armory's RankingMetrics).

Prints one JSON object: users scored, recall/ndcg/map at k, and the seconds to build the
matrix and fit. Used by scripts/bench-models.sh; not part of Armory.
"""
import argparse, json, math, os, sqlite3, time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # implicit warns otherwise; it parallelises itself

import numpy as np
import scipy.sparse as sparse
from implicit.als import AlternatingLeastSquares


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--regularization", type=float, default=0.05)
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--alpha", type=float, default=10)
    parser.add_argument("--like-weight", type=float, default=2)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()

    db = sqlite3.connect(args.database)
    movies = [row[0] for row in db.execute("SELECT id FROM movies ORDER BY id")]
    movie_index = {movie: i for i, movie in enumerate(movies)}
    events = [(u, m, t, 0) for u, m, t in db.execute("SELECT user_id, movie_id, at FROM views")]
    events += [(u, m, t, 1) for u, m, t in db.execute("SELECT user_id, movie_id, at FROM likes")]
    # The cut as Armory's TimeSplit.cut(holdingOut:) takes it: the time of the event at
    # round(n × (1 − fraction)) among all event times, sorted.
    times = sorted(e[2] for e in events)
    cut = times[min(len(times) - 1, max(1, round(len(times) * (1 - args.test_fraction))))]

    started = time.perf_counter()
    users, rows, cols, weights = {}, [], [], []
    for user, movie, at, like in events:
        if at >= cut or movie not in movie_index:
            continue
        rows.append(users.setdefault(user, len(users)))
        cols.append(movie_index[movie])
        weights.append(args.like_weight if like else 1.0)
    counts = sparse.csr_matrix((np.array(weights, dtype=np.float32), (rows, cols)), shape=(len(users), len(movies)))
    counts.sum_duplicates()
    confidence = counts.copy()
    confidence.data = 1 + args.alpha * confidence.data  # c = 1 + alpha × r, as Armory's ConfidenceMatrix
    model = AlternatingLeastSquares(factors=args.factors, regularization=args.regularization, iterations=args.iterations,
                                    alpha=1.0, use_cg=True, use_gpu=False, random_state=1, calculate_training_loss=False)
    model.fit(confidence, show_progress=False)
    seconds = time.perf_counter() - started

    before, after = {}, {}
    for user, movie, at, like in events:
        (after if at >= cut else before).setdefault(user, set()).add(movie)
    scored = sorted(u for u in after if u in users and (after[u] - before.get(u, set())) & set(movie_index))
    recall = ndcg = ap = 0.0
    ids, _ = model.recommend(np.array([users[u] for u in scored]), confidence[[users[u] for u in scored]], N=args.k,
                             filter_already_liked_items=True)
    for user, ranked in zip(scored, ids):
        relevant = {m for m in after[user] - before.get(user, set()) if m in movie_index}
        ideal = min(args.k, len(relevant))
        hits, gain, precision = 0, 0.0, 0.0
        for position, index in enumerate(ranked[: args.k]):
            if movies[index] in relevant:
                hits += 1
                gain += 1 / math.log2(position + 2)
                precision += hits / (position + 1)
        recall += hits / ideal
        ndcg += gain / sum(1 / math.log2(i + 2) for i in range(ideal))
        ap += precision / ideal
    n = len(scored)
    print(json.dumps({"users": n, "recall": recall / n, "ndcg": ndcg / n, "map": ap / n, "train_seconds": seconds,
                      "cut": cut, "threads": os.cpu_count()}))


if __name__ == "__main__":
    main()
