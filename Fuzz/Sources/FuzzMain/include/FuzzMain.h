// Entry point of every fuzz executable; see FuzzMain.c and Fuzz/Package.swift.
#ifndef LAMPLIGHTER_FUZZ_MAIN_H
#define LAMPLIGHTER_FUZZ_MAIN_H

int lamplighter_fuzz_main(int argc, char **argv);

#endif
