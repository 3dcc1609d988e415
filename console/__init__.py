"""The MPP's console (`antrean console`): the live hall and the reports, for the people who run
the hall from an office, signed in with their own accounts. No Qt."""
