"""Source adapter: jeju_nodelink."""
