# Bakes a Bulwark runtime into the base disk (image/build-base.sh) and seals it: read-only root,
# hardened relay unit, firewall, no SSH left behind. For Debian's packer 1.6.6: the qemu builder
# and the file, shell, shell-local and manifest plugins are built in, nothing is downloaded.
# image/ci.sh drives it; see src/adr/0008-vm-image.md for the choices.

variable "runtime_archive" {
  type        = string
  description = "The jlink runtime archive: one top-level directory bulwark/ with bin/bulwark."
}

variable "version" {
  type        = string
  description = "Bulwark version; part of the image name."
}

variable "policy_digest" {
  type        = string
  description = "SHA-256 policy digest (64 hex) compiled into the runtime; its first 12 characters name the image."
}

variable "base_image" {
  type        = string
  description = "Base qcow2 from image/build-base.sh."
}

variable "base_image_sha256" {
  type        = string
  description = "SHA-256 of the base qcow2 (written beside it by image/build-base.sh)."
}

variable "build_key" {
  type        = string
  description = "Private half of the per-build provisioning key (generated per build, never in the image)."
}

variable "build_key_pub" {
  type        = string
  description = "Public half, handed to the guest through qemu's fw_cfg (opt/dev.bulwark/build-key)."
}

variable "output_directory" {
  type        = string
  description = "Where the image, its checksum and Packer's manifest are written; must not exist yet."
}

variable "serial_log" {
  type        = string
  description = "File receiving the guest's serial console during provisioning."
}

variable "metrics_port" {
  type        = number
  default     = 9025
  description = "Metrics port the firewall opens (next to SMTP on 25); site settings must use it."
}

variable "memory" {
  type    = number
  default = 1024
}

variable "cpus" {
  type    = number
  default = 2
}

locals {
  image_name = "bulwark-${var.version}-${substr(var.policy_digest, 0, 12)}"
}

source "qemu" "bulwark" {
  # KVM does not boot a guest on these machines and Packer would pick it whenever /dev/kvm exists.
  accelerator = "tcg"
  memory      = var.memory
  cpus        = var.cpus
  headless    = true

  disk_image         = true
  iso_url            = var.base_image
  iso_checksum       = "sha256:${var.base_image_sha256}"
  use_backing_file   = false
  skip_resize_disk   = true
  format             = "qcow2"
  disk_interface     = "virtio"
  disk_discard       = "unmap"
  disk_detect_zeroes = "unmap"
  disk_compression   = true
  net_device         = "virtio-net"
  vnc_bind_address   = "127.0.0.1"

  output_directory = var.output_directory
  vm_name          = "${local.image_name}.qcow2"

  qemuargs = [
    # Packer's default forwards SSH on every host address; keep it on loopback.
    ["-netdev", "user,id=user.0,hostfwd=tcp:127.0.0.1:{{ .SSHHostPort }}-:22"],
    ["-fw_cfg", "name=opt/dev.bulwark/build-key,file=${var.build_key_pub}"],
    ["-serial", "file:${var.serial_log}"],
  ]

  communicator         = "ssh"
  ssh_username         = "root"
  ssh_private_key_file = var.build_key
  ssh_timeout          = "5m"
  shutdown_command     = "systemctl poweroff"
  shutdown_timeout     = "2m"
}

build {
  sources = ["source.qemu.bulwark"]

  provisioner "file" {
    source      = var.runtime_archive
    destination = "/tmp/bulwark-runtime.tar.gz"
  }

  provisioner "file" {
    source      = "${path.root}/guest"
    destination = "/tmp"
  }

  provisioner "shell" {
    script = "${path.root}/scripts/install.sh"
    environment_vars = [
      "BULWARK_VERSION=${var.version}",
      "BULWARK_POLICY_DIGEST=${var.policy_digest}",
      "BULWARK_METRICS_PORT=${var.metrics_port}",
    ]
  }

  # The last step: removes the key and sshd, seals the root read-only.
  provisioner "shell" {
    script = "${path.root}/scripts/seal.sh"
  }

  post-processor "shell-local" {
    inline = ["cd '${var.output_directory}' && sha256sum '${local.image_name}.qcow2' > '${local.image_name}.qcow2.sha256'"]
  }

  post-processor "manifest" {
    output     = "${var.output_directory}/packer-manifest.json"
    strip_path = true
    custom_data = {
      version       = var.version
      policy_digest = var.policy_digest
      image         = "${local.image_name}.qcow2"
    }
  }
}
