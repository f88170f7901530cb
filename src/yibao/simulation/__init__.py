"""政策仿真: the same population under a base policy and a reform overlay, compared."""
