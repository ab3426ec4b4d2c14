# Cross-build libkerno for win-x64 with Debian's mingw-w64 gcc (gcc-mingw-w64-x86-64-win32); the C tests run
# under wine64 when it is installed (the TestWin64 target).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_ASM_COMPILER x86_64-w64-mingw32-gcc)

set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

# Debian puts wine64 outside PATH; without it the tests build but CTest cannot run them.
find_program(KERNO_WINE64 wine64 PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(KERNO_WINE64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${KERNO_WINE64})
endif()
