{
  "targets": [
    {
      "target_name": "peercred",
      "sources": ["peercred.c", "nft.c"],
      "libraries": ["-ldl", "-lpthread"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
