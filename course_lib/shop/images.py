"""Product photos: 28x28 grayscale silhouettes drawn procedurally, Fashion-MNIST's shape and dtype.

Each category has a silhouette made of simple signed-distance shapes (boxes, trapezoids, capsules,
circles), with four style variants (a product's `style` picks one) and per-product proportions.
A product keeps its grey level (its colour) and its pattern in every photo; each photo adds its own
pose (scale, shift, rotation), lighting, and sensor noise. Shapes are antialiased by turning the
signed distance into coverage (0.5 + distance / pixel size), so no supersampling is needed.

Top-wear shares one torso (T-shirt, shirt, pullover, coat differ in sleeves, collar and closures),
which gives Fashion-MNIST's confusions; shoes share a sole.
"""
from __future__ import annotations

import functools

import numpy as np

from .config import CATEGORIES, IMAGE_SIZE

PATTERN_CONTRAST = 0.35


# --- signed distances (positive inside), all on arrays of canonical coordinates --------------
def box(x, y, x0, x1, y0, y1):
    return np.minimum(np.minimum(x - x0, x1 - x), np.minimum(y - y0, y1 - y))


def trapezoid(x, y, cx, y0, y1, w0, w1):
    """Half-width w0 at the top edge y0, w1 at the bottom edge y1."""
    t = np.clip((y - y0) / (y1 - y0), 0, 1)
    return np.minimum(np.minimum(y - y0, y1 - y), w0 + (w1 - w0) * t - np.abs(x - cx))


def capsule(x, y, ax, ay, bx, by, r):
    """A thick segment from a to b with radius r (sleeves, legs, straps)."""
    dx, dy = bx - ax, by - ay
    t = np.clip(((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy), 0, 1)
    return r - np.hypot(x - ax - t * dx, y - ay - t * dy)


def circle(x, y, cx, cy, r):
    return r - np.hypot(x - cx, y - cy)


def ellipse(x, y, cx, cy, a, b):
    return (1 - np.hypot((x - cx) / a, (y - cy) / b)) * np.minimum(a, b)


def union(*shapes):
    return functools.reduce(np.maximum, shapes)


def inter(*shapes):
    return functools.reduce(np.minimum, shapes)


def minus(a, b):
    return np.minimum(a, -b)


def pick(style, *variants):
    """Per image, the variant chosen by its product's style (0..3)."""
    out = variants[-1]
    for k in range(len(variants) - 2, -1, -1):
        out = np.where(style == k, variants[k], out)
    return out


# --- silhouettes: each returns (body distance, detail-line distance) -------------------------
NO_LINE = -1.0


def _torso(x, y, p, top=-0.62, bottom=0.85, half=0.40):
    w = half * (1 + 0.12 * p[0])
    return trapezoid(x, y, 0, top, bottom * (1 + 0.06 * p[1]), w, w * (0.95 + 0.05 * p[2]))


def tshirt(x, y, p, style):
    torso = _torso(x, y, p)
    sleeve_end = 0.70 + 0.08 * p[3]
    sleeves = union(capsule(x, y, -0.33, -0.5, -sleeve_end, -0.18, 0.15),
                    capsule(x, y, 0.33, -0.5, sleeve_end, -0.18, 0.15))
    neck = pick(style, circle(x, y, 0, -0.68, 0.17), trapezoid(x, y, 0, -0.7, -0.35, 0.2, 0.0),
                circle(x, y, 0, -0.7, 0.24), circle(x, y, 0, -0.68, 0.17))
    body = pick(style, union(torso, sleeves), union(torso, sleeves),
                union(torso, capsule(x, y, -0.3, -0.7, -0.3, -0.5, 0.06), capsule(x, y, 0.3, -0.7, 0.3, -0.5, 0.06)),
                inter(union(torso, sleeves), 0.35 - y))
    return minus(body, neck), np.full_like(x, NO_LINE)


def shirt(x, y, p, style):
    torso = _torso(x, y, p, bottom=0.9)
    reach = 0.55 + 0.1 * p[3]
    sleeve_y = pick(style, 0.75, 0.75, 0.25, 0.75)        # blouses have three-quarter sleeves
    sleeves = union(capsule(x, y, -0.34, -0.52, -reach, sleeve_y, 0.12),
                    capsule(x, y, 0.34, -0.52, reach, sleeve_y, 0.12))
    body = minus(union(torso, sleeves), trapezoid(x, y, 0, -0.72, -0.45, 0.14, 0.0))
    placket = capsule(x, y, 0, -0.45, 0, 0.85, 0.025)
    collar = union(capsule(x, y, -0.14, -0.62, 0.0, -0.45, 0.03), capsule(x, y, 0.14, -0.62, 0.0, -0.45, 0.03))
    lines = pick(style, union(placket, collar), union(placket, collar), collar, union(placket, collar))
    return body, lines


def pullover(x, y, p, style):
    torso = _torso(x, y, p, bottom=0.8, half=0.42)
    reach = 0.78 + 0.08 * p[3]
    sleeves = union(capsule(x, y, -0.36, -0.5, -reach, 0.72, 0.15),
                    capsule(x, y, 0.36, -0.5, reach, 0.72, 0.15))
    body = union(torso, sleeves)
    body = pick(style, minus(body, circle(x, y, 0, -0.68, 0.13)),
                union(body, circle(x, y, 0, -0.72, 0.22)),
                minus(body, trapezoid(x, y, 0, -0.7, -0.2, 0.16, 0.0)),
                union(body, box(x, y, -0.14, 0.14, -0.85, -0.55)))
    hem = capsule(x, y, -0.4, 0.7, 0.4, 0.7, 0.03)
    lines = pick(style, hem, union(hem, capsule(x, y, -0.2, 0.2, 0.2, 0.2, 0.03)),
                 union(hem, capsule(x, y, 0, -0.2, 0, 0.8, 0.025)), hem)
    return body, lines


def coat(x, y, p, style):
    torso = _torso(x, y, p, top=-0.66, bottom=0.95, half=0.44)
    reach = 0.8 + 0.08 * p[3]
    sleeves = union(capsule(x, y, -0.38, -0.54, -reach, 0.8, 0.16),
                    capsule(x, y, 0.38, -0.54, reach, 0.8, 0.16))
    body = union(torso, sleeves)
    body = pick(style, union(body, circle(x, y, 0, -0.74, 0.24)), body, body, body)
    opening = capsule(x, y, 0, -0.45, 0, 0.95, 0.05)
    lapels = union(capsule(x, y, -0.22, -0.64, 0, -0.2, 0.045), capsule(x, y, 0.22, -0.64, 0, -0.2, 0.045))
    pockets = union(capsule(x, y, -0.32, 0.45, -0.12, 0.45, 0.04), capsule(x, y, 0.12, 0.45, 0.32, 0.45, 0.04))
    quilt = union(union(capsule(x, y, -0.8, -0.15, 0.8, -0.15, 0.03), capsule(x, y, -0.8, 0.25, 0.8, 0.25, 0.03)),
                  capsule(x, y, -0.8, 0.6, 0.8, 0.6, 0.03))
    front = union(opening, pockets)
    lines = pick(style, front, union(front, lapels), union(opening, quilt), union(front, lapels))
    return body, lines


def dress(x, y, p, style):
    waist = -0.15 + 0.08 * p[0]
    hem_w = pick(style, 0.32, 0.52, 0.45, 0.42) * (1 + 0.12 * p[1])
    hem_y = pick(style, 0.8, 0.85, 0.97, 0.85)
    bodice = trapezoid(x, y, 0, -0.72, waist, 0.24 * (1 + 0.1 * p[2]), 0.2)
    skirt = trapezoid(x, y, 0, waist - 0.02, hem_y, 0.21, hem_w)
    straps = union(capsule(x, y, -0.17, -0.9, -0.17, -0.7, 0.04), capsule(x, y, 0.17, -0.9, 0.17, -0.7, 0.04))
    sleeves = union(capsule(x, y, -0.22, -0.66, -0.42, -0.42, 0.1), capsule(x, y, 0.22, -0.66, 0.42, -0.42, 0.1))
    top = pick(style, straps, straps, straps, sleeves)
    body = minus(union(union(bodice, skirt), top), circle(x, y, 0, -0.78, 0.1))
    return body, capsule(x, y, -0.22, waist, 0.22, waist, 0.025)


def trouser(x, y, p, style):
    gap = 0.03 + 0.02 * p[0]
    w_top = 0.17 * (1 + 0.08 * p[1])
    w_bot = pick(style, 0.14, 0.13, 0.2, 0.09) * (1 + 0.1 * p[2])
    bottom = 0.92 + 0.04 * p[3]
    legs = union(trapezoid(x, y, -(w_top + gap), -0.55, bottom, w_top, w_bot),
                 trapezoid(x, y, w_top + gap, -0.55, bottom, w_top, w_bot))
    hips = box(x, y, -(2 * w_top + gap), 2 * w_top + gap, -0.92, -0.2)
    body = union(legs, hips)
    lines = capsule(x, y, -0.4, -0.75, 0.4, -0.75, 0.025)
    return body, pick(style, lines, lines, lines, union(lines, capsule(x, y, -0.6, bottom - 0.1, 0.6, bottom - 0.1, 0.025)))


def _sole(x, y, p, top=0.32, bottom=0.45, heel=0.0):
    length = 0.88 + 0.05 * p[0]
    return union(box(x, y, -length, length, top, bottom), box(x, y, -length, -length + 0.25, top, bottom + heel))


def sandal(x, y, p, style):
    heel = pick(style, 0.0, 0.0, 0.0, 0.25)
    sole = _sole(x, y, p, top=0.3 + 0.05 * p[1], bottom=0.4, heel=heel)
    s1 = capsule(x, y, 0.1, 0.3, 0.45, 0.05, 0.05)
    s2 = capsule(x, y, 0.45, 0.05, 0.75, 0.3, 0.05)
    s3 = capsule(x, y, -0.55, 0.3, -0.35, -0.1, 0.05)
    strap = pick(style, box(x, y, 0.1, 0.7, 0.05, 0.3), union(union(s1, s2), s3),
                 union(capsule(x, y, 0.35, 0.3, 0.5, 0.1, 0.04), capsule(x, y, 0.65, 0.3, 0.5, 0.1, 0.04)),
                 union(union(s1, s2), capsule(x, y, -0.6, 0.6, -0.4, 0.0, 0.04)))
    return union(sole, strap), np.full_like(x, NO_LINE)


def sneaker(x, y, p, style):
    height = pick(style, 0.5, 0.4, 0.45, 0.38) * (1 + 0.1 * p[1])
    sole = _sole(x, y, p, top=0.3, bottom=0.48)
    upper = union(ellipse(x, y, 0.45, 0.3, 0.45, height * 0.8), box(x, y, -0.85, 0.45, 0.3 - height, 0.35))
    body = minus(union(sole, upper), ellipse(x, y, -0.5, 0.3 - height, 0.3, 0.1))
    laces = union(capsule(x, y, -0.1, 0.0 - 0.2 * height, 0.4, -0.05, 0.03), capsule(x, y, -0.85, 0.33, 0.85, 0.33, 0.02))
    return body, pick(style, laces, laces, laces, capsule(x, y, -0.85, 0.33, 0.85, 0.33, 0.02))


def ankle_boot(x, y, p, style):
    heel = pick(style, 0.05, 0.05, 0.22, 0.08)
    shaft_top = pick(style, -0.6, -0.65, -0.55, -0.8) * (1 + 0.08 * p[1])
    sole = _sole(x, y, p, top=0.28, bottom=0.45, heel=heel)
    foot = union(ellipse(x, y, 0.35, 0.28, 0.5, 0.32), box(x, y, -0.85, 0.35, -0.02, 0.32))
    shaft = box(x, y, -0.85, -0.15 + 0.05 * p[2], shaft_top, 0.3)
    lines = pick(style, box(x, y, -0.7, -0.45, shaft_top + 0.1, 0.0) - 0.08,
                 capsule(x, y, -0.2, shaft_top + 0.1, -0.2, 0.0, 0.03), capsule(x, y, -0.85, 0.3, 0.85, 0.3, 0.02),
                 capsule(x, y, -0.2, shaft_top + 0.1, -0.2, 0.05, 0.03))
    return union(union(sole, foot), shaft), lines


def bag(x, y, p, style):
    w = 0.62 * (1 + 0.1 * p[0])
    top = pick(style, -0.3, -0.5, -0.2, 0.0) + 0.08 * p[1]
    bottom = pick(style, 0.8, 0.85, 0.7, 0.6)
    body = trapezoid(x, y, 0, top, bottom, w * pick(style, 0.85, 0.8, 0.9, 1.1), w * pick(style, 1.0, 0.85, 1.0, 1.1))
    ring_r = 0.38 + 0.06 * p[2]
    ring = inter(inter(circle(x, y, 0, top, ring_r), -circle(x, y, 0, top, ring_r - 0.08)), top + 0.02 - y)
    strap = inter(inter(circle(x, y, 0, top + 0.3, 0.75), -circle(x, y, 0, top + 0.3, 0.69)), top - y)
    handle = pick(style, ring, union(body, ring), strap, np.full_like(x, NO_LINE))
    flap = capsule(x, y, -w, top + 0.3, w, top + 0.3, 0.025)
    return union(body, handle), pick(style, flap, capsule(x, y, -0.3, 0.3, 0.3, 0.3, 0.03), flap, flap)


SILHOUETTES = [tshirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle_boot]
assert len(SILHOUETTES) == len(CATEGORIES)


# --- rendering ------------------------------------------------------------------------------
_grid = (np.arange(IMAGE_SIZE, dtype=np.float32) + 0.5) / IMAGE_SIZE * 2 - 1
GY, GX = np.meshgrid(_grid, _grid, indexing="ij")


def _pattern(kind, x, y, freq, phase):
    """Pattern darkness in [0, 1] for pattern index kind (0 solid, 1 striped, 2 checked, 3 dotted, 4 printed)."""
    sx, sy = np.sin(freq * x + phase), np.sin(freq * y + phase)
    striped = 0.5 + 0.5 * np.sign(sy)
    checked = 0.5 + 0.5 * np.sign(sx * sy)
    dotted = (np.hypot(sx, sy) > 1.2).astype(np.float32)
    printed = 0.5 + 0.25 * (np.sin(0.7 * freq * (x + y) + 2 * phase) + np.sin(0.9 * freq * (x - 0.6 * y) + phase))
    return pick(kind, np.zeros_like(x), striped, checked, dotted, printed)


def render(category: np.ndarray, style: np.ndarray, shade: np.ndarray, pattern: np.ndarray,
           proportions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one photo per row: uint8 [N, 28, 28]. `proportions` [N, 4] in [-1, 1] shape the silhouette."""
    n = len(category)
    col = lambda a: np.asarray(a, np.float32).reshape(n, 1, 1)
    # Pose: each photo is framed a little differently.
    sx = col(rng.uniform(0.70, 1.04, n))
    sy = sx * col(rng.uniform(0.92, 1.08, n))
    angle = col(rng.normal(0, np.deg2rad(9), n))
    tx, ty = col(rng.uniform(-0.27, 0.27, n)), col(rng.uniform(-0.22, 0.22, n))
    cos, sin = np.cos(angle), np.sin(angle)
    x = (cos * (GX - tx) + sin * (GY - ty)) / sx
    y = (-sin * (GX - tx) + cos * (GY - ty)) / sy
    pixel = (2 / IMAGE_SIZE) / np.minimum(sx, sy)

    body = np.empty((n, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    lines = np.empty_like(body)
    jitter = proportions + rng.uniform(-0.25, 0.25, proportions.shape)
    for c, draw in enumerate(SILHOUETTES):
        idx = np.flatnonzero(category == c)
        if len(idx):
            p = [col(jitter[:, k])[idx] for k in range(4)]
            b, l = draw(x[idx], y[idx], p, col(style)[idx])
            body[idx], lines[idx] = b, l
    alpha = np.clip(0.5 + body / pixel, 0, 1)
    line = np.clip(0.5 + lines / pixel, 0, 1)

    freq = col(rng.uniform(14, 22, n))
    pat = _pattern(col(pattern), x, y, freq, col(rng.uniform(0, 2 * np.pi, n)))
    light_dir = rng.normal(0, 1, (n, 2))
    light_dir /= np.linalg.norm(light_dir, axis=1, keepdims=True)
    light = 1 + col(rng.uniform(0, 0.25, n)) * (col(light_dir[:, 0]) * GX + col(light_dir[:, 1]) * GY)
    gain = col(shade) * col(rng.uniform(0.85, 1.1, n))
    img = alpha * gain * light * (1 - PATTERN_CONTRAST * pat) * (1 - 0.55 * line)
    img += rng.normal(0, 10, img.shape).astype(np.float32) * (alpha > 0) + rng.normal(0, 3, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def make_images(category, style, shade, pattern, images_per_product: int, n_unlabeled: int,
                seed: int, test_share: float = 0.2) -> dict[str, np.ndarray]:
    """Labelled photos split by product (test products are unseen in training) and an unlabelled pool."""
    from .config import rng_for
    rng = rng_for(seed, "images")
    n = len(category)
    proportions = rng.uniform(-1, 1, (n, 4))               # a product keeps its proportions
    is_test = np.zeros(n, bool)
    is_test[rng.permutation(n)[: int(round(test_share * n))]] = True

    def photos(pids, block=4096):
        blocks = [pids[i:i + block] for i in range(0, len(pids), block)]
        return np.concatenate([np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)]
                              + [render(category[b], style[b], shade[b], pattern[b], proportions[b], rng) for b in blocks])

    out = {}
    for split, mask in (("train", ~is_test), ("test", is_test)):
        pids = np.repeat(np.flatnonzero(mask), images_per_product)
        pids = pids[rng.permutation(len(pids))]
        out[f"x_{split}"], out[f"y_{split}"], out[f"product_id_{split}"] = photos(pids), category[pids].astype(np.int64), pids
    pool = rng.integers(0, n, n_unlabeled)
    out["unlabeled"], out["product_id_unlabeled"] = photos(pool), pool
    return out
