variable "name" {
  description = "Names the VM, its security group and its data volume."
  type        = string
  default     = "codeflix"
}

variable "subnet_id" {
  description = "The subnet the VM runs in (its VPC is the security group's)."
  type        = string
}

variable "ami_id" {
  description = "A Debian 12 (or Ubuntu 24.04) image for the region; the Ansible role in ops/ansible expects apt and systemd."
  type        = string
}

variable "instance_type" {
  description = "2 vCPUs and 8 GiB run every role with embedded engines and encode one upload at a time."
  type        = string
  default     = "m7i.large"
}

variable "ssh_key_name" {
  description = "The EC2 key pair Ansible signs in with."
  type        = string
}

variable "ssh_cidrs" {
  description = "Who may reach SSH (port 22): the operators' and the CI's addresses, never 0.0.0.0/0."
  type        = list(string)
}

variable "https_cidrs" {
  description = "Who may reach the gateway in front of the APIs (port 443)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "data_volume_gib" {
  description = "The volume mounted at /var/lib/codeflix: the log, the read models and the media."
  type        = number
  default     = 100
}

variable "kms_key_id" {
  description = "The KMS key the volumes are encrypted with (the account's default EBS key when null)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for everything the module makes."
  type        = map(string)
  default     = {}
}
