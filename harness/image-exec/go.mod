// harness/image.ts's last step into the image: standard library only, so building it downloads nothing.
module palisade.dev/harness/image-exec

go 1.22
