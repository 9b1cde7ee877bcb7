"""policy_frontier and the ``mdmjax policies`` sub-command."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax import policies as P


def law(seed=0, shape=(2, 2, 2, 2)):
    rng = np.random.default_rng(seed)
    return mdm.Distribution.from_probs(rng.dirichlet(np.ones(math.prod(shape))).reshape(shape))


@pytest.mark.slow
def test_frontier_points_and_optimum():
    d = law(1)
    f = mdm.policy_frontier(d, ["random", "random_optimal", "left_to_right", "dilated"])
    assert f.families == ("random", "random_optimal", "left_to_right", "dilated")
    curve = mdm.information_curve(d)
    for k, s in zip(range(1, 5), f.optimal, strict=True):
        assert s.steps == k
        assert s.kl == pytest.approx(mdm.optimal_schedule(curve, k).kl, abs=1e-15)
        assert f.optimum_at(k) == s.kl
    for pt, k in zip(f.family("random"), range(1, 5), strict=True):
        sizes = P.uniform_sizes(4, k)
        assert pt.expected_steps == pytest.approx(k)
        assert pt.kl == pytest.approx(mdm.exact_kl(d, sizes, kind="mixture"), abs=1e-10)
    for pt, s in zip(f.family("random_optimal"), f.optimal, strict=True):
        # The mixture KL of the DP-optimal sizes is at most their expected KL (convexity).
        assert pt.kl <= s.kl + 1e-12
        assert pt.label == P.random(s.sizes).label
    for pt, k in zip(f.family("left_to_right"), range(1, 5), strict=True):
        sizes = P.uniform_sizes(4, k)
        blocks = P.fixed_order(range(4), sizes).blocks()
        assert pt.kl == pytest.approx(mdm.partition_kl(d, blocks), abs=1e-10)
    (dil,) = f.family("dilated")
    assert dil.kl == pytest.approx(mdm.partition_kl(d, P.dilated_blocks(4)), abs=1e-10)
    assert f.optimum_at(7) is None


def test_frontier_custom_families_and_output(tmp_path):
    d = law(2)
    f = mdm.policy_frontier(
        d,
        {
            "conf": lambda k: P.confidence(P.uniform_sizes(4, k)),
            "thr": [P.threshold(0.9), P.threshold(0.6)],
            "one": P.entropy_bound(0.3),
            "blocks": "semi_ar:2",
        },
        steps_range=[1, 2, 4],
    )
    assert [pt.expected_steps for pt in f.family("conf")] == pytest.approx([1, 2, 4])
    assert len(f.family("thr")) == 2 and len(f.family("one")) == 1
    assert [pt.expected_steps for pt in f.family("blocks")] == pytest.approx([2, 4])  # k >= 2
    r = mdm.evaluate_policy(d, P.threshold(0.6))
    (pt,) = [p for p in f.family("thr") if p.label == "threshold(0.6)"]
    assert pt.kl == pytest.approx(r.kl, abs=1e-15) and pt.tv == pytest.approx(r.tv, abs=1e-15)
    text = f.table()
    assert "threshold(0.6)" in text and "DP-optimal" in text
    assert "KL out" in text and "E-KL opt@k" in text and "upper bound" in text
    rows = f.rows()
    assert sum(row["family"] == "optimal" for row in rows) == 3
    assert {(r["family"] == "optimal", r["kl_kind"]) for r in rows} == {
        (True, "expected"),
        (False, "output"),
    }
    json.dumps(rows)
    fig = f.plot(path=tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 0
    assert fig.axes[0].get_yscale() == "log"
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels[-1].startswith("optimal") and fig.axes[0].lines[-1].get_linestyle() == "--"


def test_frontier_with_model():
    d = law(3)
    model = mdm.models.tempered(d, 0.7)
    f = mdm.policy_frontier(d, ["confidence"], [2], model=model)
    r = mdm.evaluate_policy(d, P.confidence((2, 2)), model=model)
    assert f.points[0].kl == pytest.approx(r.kl, abs=1e-15)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(policies=["nope"]), "unknown family"),
        (dict(policies=["semi_ar:x"]), "block length"),
        (dict(policies={"bad": [1, 2]}), "not a Policy"),
        (dict(policies=[3.5]), "policies"),
        (dict(steps_range=[0, 1]), "steps_range"),
        (dict(steps_range=[5]), "steps_range"),
        (dict(steps_range=[]), "steps_range"),
        (dict(steps_range=["a"]), "steps_range"),
    ],
)
def test_frontier_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mdm.policy_frontier(law(4), **kwargs)
    with pytest.raises(ValueError, match="d:"):
        mdm.policy_frontier(np.ones((2, 2)) / 4)
