"""Source adapter: sumo_net."""
