package jstrace

// Version is the version of jstrace: the probe API, the agent and the CLI
// share it.
const Version = "0.1.0"
