output "instance_id" {
  description = "The VM."
  value       = aws_instance.this.id
}

output "private_ip" {
  description = "Its address in the VPC."
  value       = aws_instance.this.private_ip
}

output "public_ip" {
  description = "Its public address, if the subnet gives one."
  value       = aws_instance.this.public_ip
}

output "ansible_inventory" {
  description = "An inventory for ops/ansible/site.yml (the image's default user may differ: admin on Debian, ubuntu on Ubuntu)."
  value       = "[codeflix]\n${var.name} ansible_host=${coalesce(aws_instance.this.public_ip, aws_instance.this.private_ip)} ansible_user=admin\n"
}

output "iam_role_name" {
  description = "The VM's IAM role: attach the policy its media bucket needs."
  value       = aws_iam_role.this.name
}
