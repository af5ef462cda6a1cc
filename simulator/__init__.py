"""The callsim simulation engine: scenario schema, SimPy model, per-call records and KPIs."""
