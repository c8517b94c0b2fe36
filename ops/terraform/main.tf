# One VM for Codeflix: every role (and, on embedded defaults, the broker, registry and Connect)
# as systemd units that ops/ansible installs. The APIs listen on 127.0.0.1 behind a gateway on
# 443; only SSH and HTTPS are open, to the addresses given.

data "aws_subnet" "this" {
  id = var.subnet_id
}

resource "aws_security_group" "this" {
  name        = var.name
  description = "Codeflix on one VM: SSH for operators, HTTPS for clients"
  vpc_id      = data.aws_subnet.this.vpc_id
  tags        = var.tags
}

locals {
  # Every opening: SSH from the operators' addresses, HTTPS from the clients'.
  ingress = merge(
    { for cidr in var.ssh_cidrs : "ssh ${cidr}" => { port = 22, cidr = cidr, what = "SSH" } },
    { for cidr in var.https_cidrs : "https ${cidr}" => { port = 443, cidr = cidr, what = "HTTPS" } },
  )
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each          = local.ingress
  security_group_id = aws_security_group.this.id
  description       = "${each.value.what} from ${each.value.cidr}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
}

resource "aws_vpc_security_group_egress_rule" "https_out" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS out: packages, object storage, identity provider, engines"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "smtp_out" {
  security_group_id = aws_security_group.this.id
  description       = "Mail submission to the notifier's relay"
  ip_protocol       = "tcp"
  from_port         = 587
  to_port           = 587
  cidr_ipv4         = "0.0.0.0/0"
}

# The VM's own identity: Session Manager instead of (or beside) SSH, and whatever access to object
# storage the media settings need, granted to this role by the caller.
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "this" {
  name = var.name
  role = aws_iam_role.this.name
}

resource "aws_instance" "this" {
  ami                    = var.ami_id
  instance_type          = var.instance_type
  subnet_id              = var.subnet_id
  key_name               = var.ssh_key_name
  vpc_security_group_ids = [aws_security_group.this.id]
  iam_instance_profile   = aws_iam_instance_profile.this.name
  monitoring             = true
  ebs_optimized          = true

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  root_block_device {
    volume_size = 20
    volume_type = "gp3"
    encrypted   = true
    kms_key_id  = var.kms_key_id
  }

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_ebs_volume" "data" {
  availability_zone = aws_instance.this.availability_zone
  size              = var.data_volume_gib
  type              = "gp3"
  encrypted         = true
  kms_key_id        = var.kms_key_id
  tags              = merge(var.tags, { Name = "${var.name}-data" })
}

resource "aws_volume_attachment" "data" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.this.id
}
