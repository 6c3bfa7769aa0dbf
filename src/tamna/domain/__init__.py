"""Pure types of the city: network, sensors and observations, cameras, incidents, alerts. Units in names."""
