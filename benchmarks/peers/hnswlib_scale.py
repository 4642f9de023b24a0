#!/usr/bin/python3
"""hnswlib on one TEXMEX split for the scale series (issue 13 goal 5): build time, memory, and an ef sweep.

Usage: hnswlib_scale.py [--M 16] [--efc 200] [--threads all] [--efs 10,20,...] [--metric cosine|ip|l2]
                        [--queries all] [--target 0.95] DIR
DIR holds base.fvecs, query.fvecs and gt.ivecs. Prints, for ImageSearch.Ann scale to parse:
  peer hnswlib build_s B               add_items on --threads threads
  peer hnswlib bytes_per_vector X      size of the saved index file / n (hnswlib keeps the same layout in memory:
                                       vectors, links and labels; its per-element locks and visited lists are not in it)
  peer hnswlib ef E recall@10 R qps Q  queries one at a time on one thread, as ann-benchmarks does
The sweep extends as ours does: ef doubles (up to 6400) while recall stays below --target, and halves (down to 10)
while the smallest ef is already above it. Needs Debian's python3-hnswlib (0.6.2) and python3-numpy.
"""
import argparse, os, tempfile, time
import numpy as np
import hnswlib

def read_vecs(path, dtype, limit=None):
    # memmap, then one copy of the values only: a 4 GB base must not be held twice
    raw = np.memmap(path, dtype=dtype, mode="r")
    d = int(raw[:1].view(np.int32)[0])
    rows = raw.reshape(-1, d + 1)
    if limit is not None:
        rows = rows[:limit]
    return np.ascontiguousarray(rows[:, 1:])

p = argparse.ArgumentParser()
p.add_argument("dir"); p.add_argument("--M", type=int, default=16); p.add_argument("--efc", type=int, default=200)
p.add_argument("--threads", type=int, default=os.cpu_count()); p.add_argument("--metric", default="cosine")
p.add_argument("--efs", default="10,20,40,80,120,200,300,400,600,800"); p.add_argument("--queries", type=int, default=None)
p.add_argument("--target", type=float, default=0.95)
a = p.parse_args()
query = read_vecs(os.path.join(a.dir, "query.fvecs"), np.float32, a.queries)
gt = read_vecs(os.path.join(a.dir, "gt.ivecs"), np.int32, len(query))[:, :10]
base = read_vecs(os.path.join(a.dir, "base.fvecs"), np.float32)
n, dim = base.shape
space = {"cosine": "cosine", "angular": "cosine", "ip": "ip", "dot": "ip", "l2": "l2", "euclidean": "l2"}[a.metric]
h = hnswlib.Index(space=space, dim=dim)  # 'cosine' normalises rows and queries itself
h.init_index(max_elements=n, ef_construction=a.efc, M=a.M, random_seed=100)
h.set_num_threads(a.threads)
t = time.perf_counter(); h.add_items(base, np.arange(n)); bt = time.perf_counter() - t
del base
print(f"peer hnswlib build_s {bt:.2f}", flush=True)
fd, path = tempfile.mkstemp(suffix=".hnsw"); os.close(fd)
try:
    h.save_index(path)
    print(f"peer hnswlib bytes_per_vector {os.path.getsize(path) / n:.1f}", flush=True)
finally:
    os.remove(path)

h.set_num_threads(1)
points = {}
def sweep(ef):
    h.set_ef(ef)
    h.knn_query(query[:1], k=10)  # warm-up, as ours does
    t = time.perf_counter()
    res = [h.knn_query(q[None, :], k=10)[0][0] for q in query]
    t = time.perf_counter() - t
    r = float(np.mean([len(set(x.tolist()) & set(g.tolist())) / 10 for x, g in zip(res, gt)]))
    points[ef] = r
    print(f"peer hnswlib ef {ef} recall@10 {r:.4f} qps {len(query) / t:.1f}", flush=True)

efs = list(map(int, a.efs.split(",")))
h.set_ef(efs[0])
for q in query:  # one untimed pass at the first ef, as ours and the C++ bench make: same warm caches for all
    h.knn_query(q[None, :], k=10)
for ef in efs:
    sweep(ef)
while points[max(points)] < a.target and max(points) < min(6400, n):
    sweep(max(points) * 2)
while points[min(points)] > a.target and min(points) > 10:
    sweep(max(10, min(points) // 2))
