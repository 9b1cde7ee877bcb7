"""Names that moved or left a public namespace (issue 20) still work for one version, and warn.

Each old name returns the very object of its new home (or, for theorem9_sizes, the old argument
order), with a DeprecationWarning that names where it went.
"""

import pytest

import mdmjax as mdm
from mdmjax._src import subsets, tolerances

MOVED_TO_SCHEDULES = [
    "ALPHAS",
    "ANCESTRAL_GRIDS",
    "BinomialSchedule",
    "KernelSchedule",
    "RandomScheduleKL",
    "ancestral",
    "binomial",
    "dream_origin",
]


@pytest.mark.parametrize("name", MOVED_TO_SCHEDULES)
def test_kl_random_size_schedules_moved_to_schedules(name):
    with pytest.warns(DeprecationWarning, match=f"mdmjax.schedules.{name}"):
        old = getattr(mdm.kl, name)
    assert old is getattr(mdm.schedules, name)
    assert name not in dir(mdm.kl)


def test_internal_names_left_the_public_surface():
    from mdmjax.curves import _markov, _mc_models, _subset_entropy
    from mdmjax.kl import _enumeration, _random_sizes
    from mdmjax.search import _relax

    cases = [
        (mdm.kl, "ordered_partitions", _enumeration.ordered_partitions),
        (mdm.kl, "binomial_kernel", _random_sizes.binomial_kernel),
        (mdm.curves, "conditional_entropy_profile", _markov.conditional_entropy_profile),
        (mdm.curves, "tree_order", _mc_models.tree_order),
        (mdm.curves, "extended_table_bytes", _subset_entropy.extended_table_bytes),
        (mdm.search, "ABS_TOLERANCE", tolerances.RELAX_ABS_TOLERANCE),
        (mdm.search, "GAP_TOLERANCE", tolerances.RELAX_GAP_TOLERANCE),
        (mdm.search, "POLISH_WINDOW", _relax.POLISH_WINDOW),
        (mdm.search, "integer_breakpoint_kl", _relax.integer_breakpoint_kl),
        (mdm.policies, "TIE_TOLERANCE", tolerances.TIE_TOLERANCE),
        (mdm.policies, "combinations_mask", subsets.combinations_mask),
    ]
    for module, name, obj in cases:
        with pytest.warns(DeprecationWarning, match=f"{module.__name__}.{name} is deprecated"):
            assert getattr(module, name) is obj
        assert name not in dir(module)


def test_an_unknown_name_is_still_an_attribute_error():
    for module in (mdm.kl, mdm.curves, mdm.search, mdm.policies):
        with pytest.raises(AttributeError, match="no_such_name"):
            module.no_such_name  # noqa: B018
