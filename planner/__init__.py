"""Staffing maths (Erlang B, C, A) and interval staffing plans. Pure: no I/O, imports nothing of ours."""
