# Compiler flags shared by libkerno and its tests.

set(KERNO_AVX2_FLAGS -mavx2 -mfma -mf16c)
set(KERNO_AVX512_FLAGS -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma -mavx2 -mf16c)

function(kerno_apply_common_flags target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wshadow -Wno-unused-parameter>
    $<$<AND:$<COMPILE_LANGUAGE:C>,$<CONFIG:Release>>:-O3 -fno-math-errno -fno-trapping-math>)
  if(KERNO_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${KERNO_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
    target_link_options(${target} PRIVATE -fsanitize=${KERNO_SANITIZE})
  endif()
endfunction()
