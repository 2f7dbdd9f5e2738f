"""Random unit vectors with planted near-copies: what the dedupe's link searches must find."""

import numpy as np


def planted(count, dimension, pairs, seed=0):
    """`count` random unit vectors and `pairs` near-copies of some of them at cosine 0.86 to 0.99, appended."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(count, dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    copies = rng.choice(count, size=pairs, replace=False)
    similar = np.linspace(0.86, 0.99, pairs, dtype=np.float32)[:, None]
    noise = rng.normal(size=(pairs, dimension)).astype(np.float32)
    noise -= (noise * vectors[copies]).sum(axis=1, keepdims=True) * vectors[copies]
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    near = similar * vectors[copies] + np.sqrt(1 - similar**2) * noise
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    return np.ascontiguousarray(np.concatenate([vectors, near]), dtype=np.float32), copies


def copies_of_one(vectors, size, seed):
    """Replace `size` random rows of `vectors` (in place) by near-copies of the first of them, at cosines of about
    0.95 to each other (noise of 0.04 a component, for 32-d); their rows, sorted."""
    rng = np.random.default_rng(seed)
    group = np.sort(rng.choice(len(vectors), size=size, replace=False))
    copies = vectors[group[0]] + 0.04 * rng.normal(size=(size, vectors.shape[1])).astype(np.float32)
    vectors[group] = copies / np.linalg.norm(copies, axis=1, keepdims=True)
    return group
