# `terraform init && terraform apply`, then `terraform output -raw ansible_inventory >
# ../../../ansible/inventory.ini` and run the playbook (ops/README.md).
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 7.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "codeflix" {
  source       = "../.."
  subnet_id    = "subnet-0123456789abcdef0"
  ami_id       = "ami-0123456789abcdef0"
  ssh_key_name = "operators"
  ssh_cidrs    = ["198.51.100.0/24"]
  tags         = { project = "codeflix" }
}

output "ansible_inventory" {
  value = module.codeflix.ansible_inventory
}
