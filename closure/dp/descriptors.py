"""The two baselines of the seed's symmetry comparison, beside se_e2_a (`model.py`):

- 'raw' (no symmetry): the relative coordinates x_j - x_i of the neighbours, sorted by
  distance within each type; translation and permutation invariant, not rotation invariant;
- 'local_frame' (the "poor man's" Deep Potential, Zhang et al., Phys. Rev. Lett. 120, 143001
  (2018)): a frame from the two nearest neighbours (e1 towards the nearest, e2 the second
  orthogonalised, e3 = e1 x e2), neighbours sorted by distance within each type, features
  (1/r, x'/r^2, y'/r^2, z'/r^2) in that frame; invariant under translation, rotation and
  permutation, but not smooth: the sorting and the frame jump when neighbours swap.

Both take d (nat, nsel, 3), the neighbour vectors, and the slot mask; empty slots give zeros.
"""

import torch


def sorted_slots(d, mask, sel):
    """d and mask with the slots of each type sorted by distance (empty slots last)."""
    r = torch.sqrt((d * d).sum(-1)).detach()
    r = torch.where(mask, r, torch.full_like(r, float("inf")))
    outs, masks, start = [], [], 0
    for n in sel:
        order = torch.argsort(r[:, start:start + n], dim=1) + start
        outs.append(torch.gather(d, 1, order[..., None].expand(-1, -1, 3)))
        masks.append(torch.gather(mask, 1, order))
        start += n
    return torch.cat(outs, 1), torch.cat(masks, 1)


def raw(d, mask, sel):
    d, mask = sorted_slots(d, mask, sel)
    return (d * mask[..., None]).reshape(d.shape[0], -1)


def local_frame(d, mask, sel):
    r = torch.sqrt((d * d).sum(-1) + (~mask).double())
    far = torch.where(mask, r, torch.full_like(r, float("inf"))).detach()
    near = torch.argsort(far, dim=1)[:, :2]
    a = torch.gather(d, 1, near[:, :1, None].expand(-1, -1, 3))[:, 0]
    b = torch.gather(d, 1, near[:, 1:2, None].expand(-1, -1, 3))[:, 0]
    e1 = a / a.norm(dim=-1, keepdim=True)
    b = b - (b * e1).sum(-1, keepdim=True) * e1
    e2 = b / b.norm(dim=-1, keepdim=True)
    frame = torch.stack([e1, e2, torch.linalg.cross(e1, e2)], dim=1)  # (nat, 3, 3) rows
    ds, ms = sorted_slots(d, mask, sel)
    rs = torch.sqrt((ds * ds).sum(-1) + (~ms).double())
    local = torch.einsum("ikc,inc->ink", frame, ds)
    feats = torch.cat([(1.0 / rs)[..., None], local / (rs * rs)[..., None]], dim=-1)
    return (feats * ms[..., None]).reshape(d.shape[0], -1)


DESCRIPTORS = {"raw": raw, "local_frame": local_frame}
