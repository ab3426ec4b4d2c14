# Compiler flags shared by libkerno and its tests.

set(KERNO_AVX2_FLAGS -mavx2 -mfma -mf16c)
set(KERNO_AVX512_FLAGS -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma -mavx2 -mf16c)

function(kerno_apply_common_flags target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wshadow -Wno-unused-parameter>
    $<$<AND:$<COMPILE_LANGUAGE:C>,$<CONFIG:Release>>:-O3 -fno-math-errno -fno-trapping-math>)
  if(MINGW)
    # printf and friends with C99 formats (%zu, %lld): mingw-w64's own implementation, not msvcrt's.
    target_compile_definitions(${target} PRIVATE __USE_MINGW_ANSI_STDIO=1)
    if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
      # GCC on Win64 may spill AVX registers with aligned moves to a stack it cannot align past 16 bytes (GCC bug
      # 54412): the assembler writes every aligned vector move as an unaligned one, equally fast on aligned data.
      # GCC 12 emits none for today's sources; this keeps a future one from crashing on Windows only.
      target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:C>:-Wa,-muse-unaligned-vector-move>)
    endif()
  endif()
  if(KERNO_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${KERNO_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
    target_link_options(${target} PRIVATE -fsanitize=${KERNO_SANITIZE})
  endif()
endfunction()
