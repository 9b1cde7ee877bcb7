"""Internals shared by every subpackage: validation, keys, memory guard, precision, tolerances."""
