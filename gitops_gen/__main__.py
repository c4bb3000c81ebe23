from gitops_gen.entry import main

main()
