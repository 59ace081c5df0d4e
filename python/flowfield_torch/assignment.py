"""Minibatch optimal-transport pairing for flow matching: the exact minimum-cost assignment of
noise to data within a batch (squared distance), as src/models/diffusion/assignment.ts."""

import torch


def ot_pairing(x, eps):
    """perm such that pairing x[i] with eps[perm[i]] minimises Σ‖x − ε‖² (Hungarian, O(n³))."""
    cost = torch.cdist(x.double(), eps.double()) ** 2
    n = cost.shape[0]
    c = cost.tolist()
    inf = float("inf")
    u, v = [0.0] * (n + 1), [0.0] * (n + 1)
    p, way = [0] * (n + 1), [0] * (n + 1)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = [inf] * (n + 1)
        used = [False] * (n + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], inf, 0
            for j in range(1, n + 1):
                if not used[j]:
                    cur = c[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(n + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while True:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
            if j0 == 0:
                break
    perm = [0] * n
    for j in range(1, n + 1):
        perm[p[j] - 1] = j - 1
    return torch.tensor(perm)
