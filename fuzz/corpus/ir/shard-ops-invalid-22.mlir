func.func @start_not_collective(%x: tensor<?x8xf32>) {
  %r = helix.collective_start {
    %a = arith.addf %x, %x : tensor<?x8xf32>
    helix.yield %a : tensor<?x8xf32>
  } : !helix.request<tensor<?x8xf32>>
  return
}
