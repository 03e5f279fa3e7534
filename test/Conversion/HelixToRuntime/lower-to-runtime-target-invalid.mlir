// RUN: helix-opt %s --verify-diagnostics --helix-lower-to-runtime=target=tpu

// expected-error@+1 {{helix-lower-to-runtime: unknown target 'tpu' (expected cpu or cuda)}}
module {}
