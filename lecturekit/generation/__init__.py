"""Graph generation: GraphRNN (notebook 05) and GCPN (notebook 06)."""
