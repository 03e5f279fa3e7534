func.func @start_two_ops(%x: tensor<?x8xf32>) {
  %r = helix.collective_start {
    %a = arith.addf %x, %x : tensor<?x8xf32>
    %b = arith.addf %a, %a : tensor<?x8xf32>
    helix.yield %b : tensor<?x8xf32>
  } : !helix.request<tensor<?x8xf32>>
  return
}
