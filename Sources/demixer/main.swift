print("demixer")
