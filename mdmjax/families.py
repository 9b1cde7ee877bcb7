from mdmjax.distribution import Distribution
