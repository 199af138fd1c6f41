using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DmpApi.Storage.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class AccessColumns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "DepositedAt",
                table: "Resources",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DepositorIdNatPs",
                table: "Resources",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "IsInvisibleToPatient",
                table: "Resources",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "IsMasked",
                table: "Resources",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DepositedAt",
                table: "Resources");

            migrationBuilder.DropColumn(
                name: "DepositorIdNatPs",
                table: "Resources");

            migrationBuilder.DropColumn(
                name: "IsInvisibleToPatient",
                table: "Resources");

            migrationBuilder.DropColumn(
                name: "IsMasked",
                table: "Resources");
        }
    }
}
